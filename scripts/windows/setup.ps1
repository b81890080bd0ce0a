<#
.SYNOPSIS
  setup.ps1 -Dir DIR — prepare this Windows machine's own SMB server for sessionsim's live tests.

.DESCRIPTION
  The Windows counterpart of scripts/samba/start.sh, for a throw-away machine (a CI runner, a
  test VM). Everything of ours lives under DIR: a share directory with a few files, the
  generated passwords (DIR\passwords, readable by Administrators, SYSTEM and you only), and the
  env file (DIR\env) that the tests read through SESSIONSIM_WINDOWS_ENV=DIR\env.

  Local accounts (created when missing; their passwords always reset to the ones in DIR\passwords):
    ssadmin           member of the local Administrators (may enumerate and delete sessions)
    alice bob plain   seed users; plain is the unprivileged caller
  There is no Domain Admins or Server Operators account on a workgroup machine, and the Guest
  account is left disabled, as Windows ships it: the harness skips those roles.

  Share: "sessionsim" on DIR\share, full access for Everyone.

  Machine settings it changes (why: the harness logs on over SMB to this machine, by loopback
  addresses other than its name, as local accounts):
    HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System LocalAccountTokenFilterPolicy=1
        a local administrator keeps its rights when it logs on over the network (UAC remote
        restrictions would otherwise hand ssadmin a filtered, non-admin token)
    HKLM\SYSTEM\CurrentControlSet\Control\Lsa DisableLoopbackCheck=1
        NTLM logons to this machine by a name other than its own are accepted
  The values found before are kept in DIR\registry-before.txt; teardown.ps1 DIR puts them back.
  These settings weaken the machine's security: use a machine you throw away.

  Loopback aliases: Windows answers on the whole of 127.0.0.0/8 without configuration; the
  script checks that the addresses the harness uses can be bound, and fails if not.

  Needs an elevated PowerShell (Windows PowerShell 5.1 or PowerShell 7). Idempotent: run it
  again to repair the setup; the passwords stay those of DIR\passwords. Under GitHub Actions
  (GITHUB_ENV set) it masks the passwords in the log and exports SESSIONSIM_WINDOWS_ENV to the
  following steps.

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File scripts\windows\setup.ps1 -Dir $env:RUNNER_TEMP\sessionsim
#>
param(
  [Parameter(Mandatory = $true)][string]$Dir
)

Set-StrictMode -Version 3
$ErrorActionPreference = 'Stop'

function Die([string]$msg) {
  [Console]::Error.WriteLine("setup.ps1: $msg")
  exit 1
}
function Say([string]$msg) { [Console]::Error.WriteLine("setup.ps1: $msg") }

if ([Environment]::OSVersion.Platform -ne [PlatformID]::Win32NT) { Die 'needs Windows' }
$me = [Security.Principal.WindowsIdentity]::GetCurrent()
if (-not ([Security.Principal.WindowsPrincipal]$me).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
  Die 'must run elevated (local accounts, the share, HKLM settings)'
}

$Seeds = @('alice', 'bob', 'plain')
$Admin = 'ssadmin'
$Accounts = @($Admin) + $Seeds
$ShareName = 'sessionsim'

New-Item -ItemType Directory -Force -Path $Dir | Out-Null
$Dir = (Resolve-Path -LiteralPath $Dir).ProviderPath
$ShareDir = Join-Path $Dir 'share'
$EnvFile = Join-Path $Dir 'env'
$PwFile = Join-Path $Dir 'passwords'
$RegBefore = Join-Path $Dir 'registry-before.txt'
$Utf8 = New-Object System.Text.UTF8Encoding $false   # no BOM: the Go loader reads KEY=VALUE lines

# Names of well-known groups are localized; their SIDs are not.
function Name-Of([string]$sid) {
  $n = (New-Object Security.Principal.SecurityIdentifier $sid).Translate([Security.Principal.NTAccount]).Value
  return $n.Substring($n.IndexOf('\') + 1)
}
$AdminsGroup = Name-Of 'S-1-5-32-544'
$Everyone = (New-Object Security.Principal.SecurityIdentifier 'S-1-1-0').Translate([Security.Principal.NTAccount]).Value

# The SMB server.
$srv = Get-Service -Name LanmanServer
if ($srv.Status -ne 'Running') {
  Say 'starting the Server service (LanmanServer)'
  Start-Service -Name LanmanServer
}

# Passwords: generated once per DIR, kept in a file only Administrators, SYSTEM and the
# current user can read, never printed.
function New-Password {
  $b = New-Object byte[] 24
  $rng = [Security.Cryptography.RandomNumberGenerator]::Create()
  $rng.GetBytes($b)
  $rng.Dispose()
  $s = [Convert]::ToBase64String($b) -replace '[^A-Za-z0-9]', ''
  # Upper, lower, digit and symbol: whatever complexity policy the machine has.
  return 'Ss1-' + $s.Substring(0, [Math]::Min(20, $s.Length))
}
$pw = [ordered]@{}
if (Test-Path -LiteralPath $PwFile) {
  foreach ($line in [IO.File]::ReadAllLines($PwFile)) {
    $k, $v = $line -split '=', 2
    if ($k -and $null -ne $v) { $pw[$k] = $v }
  }
}
foreach ($u in $Accounts) {
  if (-not $pw.Contains($u) -or -not $pw[$u]) { $pw[$u] = New-Password }
}
$lines = foreach ($u in $pw.Keys) { "$u=$($pw[$u])" }
[IO.File]::WriteAllText($PwFile, (($lines -join "`r`n") + "`r`n"), $Utf8)
# The 0600 of start.sh: no inherited entries, full control for Administrators, SYSTEM and me.
& icacls.exe $PwFile /inheritance:r /grant:r '*S-1-5-32-544:F' '*S-1-5-18:F' "*$($me.User.Value):F" | Out-Null
if ($LASTEXITCODE -ne 0) { Die "icacls $PwFile failed ($LASTEXITCODE)" }
if ($env:GITHUB_ENV) {
  foreach ($u in $Accounts) { Write-Output "::add-mask::$($pw[$u])" }
}

# Local accounts through ADSI (no password on any command line).
$Computer = [ADSI]"WinNT://$env:COMPUTERNAME,computer"
function Ensure-User([string]$name, [string]$password) {
  $path = "WinNT://$env:COMPUTERNAME/$name,user"
  if ([ADSI]::Exists($path)) {
    $u = [ADSI]$path
  } else {
    Say "creating local account $name"
    $u = $Computer.Create('user', $name)
  }
  $u.SetPassword($password)
  $u.SetInfo()
  $ADS_UF_ACCOUNTDISABLE = 0x2
  $ADS_UF_DONT_EXPIRE_PASSWD = 0x10000
  $flags = [int]$u.Get('UserFlags')
  $u.Put('UserFlags', ($flags -bor $ADS_UF_DONT_EXPIRE_PASSWD) -band (-bnot $ADS_UF_ACCOUNTDISABLE))
  $u.SetInfo()
}
foreach ($u in $Accounts) { Ensure-User $u $pw[$u] }
$grp = [ADSI]"WinNT://$env:COMPUTERNAME/$AdminsGroup,group"
if (-not $grp.IsMember("WinNT://$env:COMPUTERNAME/$Admin")) {
  Say "adding $Admin to $AdminsGroup"
  $grp.Add("WinNT://$env:COMPUTERNAME/$Admin,user")
}
foreach ($u in $Seeds) {
  if ($grp.IsMember("WinNT://$env:COMPUTERNAME/$u")) { Die "$u is a member of $AdminsGroup; seed users must be plain users" }
}

# Machine settings, the previous values kept once (the first run's are the real ones).
$settings = @(
  @{ Path = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System'; Name = 'LocalAccountTokenFilterPolicy' },
  @{ Path = 'HKLM:\SYSTEM\CurrentControlSet\Control\Lsa'; Name = 'DisableLoopbackCheck' }
)
if (-not (Test-Path -LiteralPath $RegBefore)) {
  $before = foreach ($s in $settings) {
    $v = (Get-ItemProperty -LiteralPath $s.Path -Name $s.Name -ErrorAction SilentlyContinue)
    if ($null -eq $v) { "$($s.Path)|$($s.Name)|absent" } else { "$($s.Path)|$($s.Name)|$($v.($s.Name))" }
  }
  [IO.File]::WriteAllText($RegBefore, (($before -join "`r`n") + "`r`n"), $Utf8)
}
foreach ($s in $settings) {
  Set-ItemProperty -LiteralPath $s.Path -Name $s.Name -Value 1 -Type DWord
}

# The share, with a few files; every seed user may create files in it (the seeds hold files open).
New-Item -ItemType Directory -Force -Path $ShareDir | Out-Null
foreach ($f in @('readme.txt', 'report-1.txt', 'report-2.txt')) {
  $p = Join-Path $ShareDir $f
  if (-not (Test-Path -LiteralPath $p)) { [IO.File]::WriteAllText($p, "sessionsim test file $f`r`n", $Utf8) }
}
& icacls.exe $ShareDir /grant '*S-1-1-0:(OI)(CI)M' | Out-Null
if ($LASTEXITCODE -ne 0) { Die "icacls $ShareDir failed ($LASTEXITCODE)" }
$share = Get-SmbShare -Name $ShareName -ErrorAction SilentlyContinue
if ($null -ne $share -and $share.Path -ne $ShareDir) {
  Die "share $ShareName already exists for $($share.Path); remove it (Remove-SmbShare $ShareName) or use that DIR"
}
if ($null -eq $share) {
  Say "sharing $ShareDir as $ShareName"
  New-SmbShare -Name $ShareName -Path $ShareDir -FullAccess $Everyone | Out-Null
}

# Loopback aliases: the harness binds seeds to 127.77.B.n, srvsvc callers to 127.78.B.r, and
# names the server 127.0.0.1x for netapi32 callers. Windows needs no alias for them; check.
foreach ($a in @('127.0.0.11', '127.0.0.16', '127.77.1.1', '127.77.250.254', '127.78.1.1')) {
  try {
    $l = New-Object Net.Sockets.TcpListener -ArgumentList ([Net.IPAddress]::Parse($a)), 0
    $l.Start()
    $l.Stop()
  } catch {
    Die "cannot bind $a on loopback: $($_.Exception.Message)"
  }
}
# The SMB server answers on loopback.
$c = New-Object Net.Sockets.TcpClient
try { $c.Connect('127.0.0.1', 445) } catch { Die "nothing answers on 127.0.0.1:445: $($_.Exception.Message)" } finally { $c.Close() }

$envLines = @(
  'SESSIONSIM_WINDOWS_HOST=127.0.0.1',
  'SESSIONSIM_WINDOWS_PORT=445',
  "SESSIONSIM_WINDOWS_DIR=$Dir",
  "SESSIONSIM_WINDOWS_SHARE=$ShareName",
  "SESSIONSIM_WINDOWS_ADMIN=$Admin",
  # On Windows the administrator also deletes sessions (there is no separate Domain Admins account).
  "SESSIONSIM_WINDOWS_DELADMIN=$Admin",
  'SESSIONSIM_WINDOWS_PLAIN=plain',
  "SESSIONSIM_WINDOWS_SEEDS=$($Seeds -join ',')",
  "SESSIONSIM_WINDOWS_PASSWORDS=$PwFile"
)
[IO.File]::WriteAllText($EnvFile, (($envLines -join "`r`n") + "`r`n"), $Utf8)
if ($env:GITHUB_ENV) {
  [IO.File]::AppendAllText($env:GITHUB_ENV, "SESSIONSIM_WINDOWS_ENV=$EnvFile`n", $Utf8)
}
$build = (Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion').CurrentBuild
Say "SMB server of $env:COMPUTERNAME (Windows build $build) ready on 127.0.0.1:445; env file $EnvFile"
Get-Content -LiteralPath $EnvFile
