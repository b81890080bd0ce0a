<#
.SYNOPSIS
  hold-sessions.ps1 -Dir DIR [-Seconds N] [-Stop] — keep a few SMB sessions open on this
  machine's SMB server, for `sessionsim record` to find.

.DESCRIPTION
  The Windows counterpart of scripts/samba/hold-sessions.sh, after setup.ps1 -Dir DIR. It
  connects the share as the seed users through the Windows SMB client, each to its own
  loopback name (one name cannot carry two accounts):
    \\127.0.0.2\sessionsim  as alice, holding one file open
    \\127.0.0.3\sessionsim  as bob, holding one file open
    \\127.0.0.4\sessionsim  as plain, holding none
  Each open file is held by a hidden PowerShell that sleeps for -Seconds (default 600); their
  PIDs go to DIR\hold-*.pid. -Stop (or teardown.ps1) ends them and the connections. Waits until
  Get-SmbSession lists the sessions (at most 30 s). The conformance harness opens its own
  sessions: do not hold these while it runs, they would be extra sessions of its seed users.

  The Windows SMB client picks the source address itself, so the sessions may all show as
  127.0.0.1. Passwords go to net.exe on its command line (like `net use`): a throw-away machine.
#>
param(
  [Parameter(Mandatory = $true)][string]$Dir,
  [int]$Seconds = 600,
  [switch]$Stop
)

Set-StrictMode -Version 3
$ErrorActionPreference = 'Stop'
function Die([string]$msg) { [Console]::Error.WriteLine("hold-sessions.ps1: $msg"); exit 1 }
function Say([string]$msg) { [Console]::Error.WriteLine("hold-sessions.ps1: $msg") }

$Dir = (Resolve-Path -LiteralPath $Dir).ProviderPath
$EnvFile = Join-Path $Dir 'env'
if (-not (Test-Path -LiteralPath $EnvFile)) { Die "$EnvFile missing: run setup.ps1 -Dir $Dir first" }
$envv = @{}
foreach ($line in [IO.File]::ReadAllLines($EnvFile)) {
  $k, $v = $line -split '=', 2
  if ($k -and $null -ne $v) { $envv[$k] = $v }
}
$share = $envv['SESSIONSIM_WINDOWS_SHARE']
$pw = @{}
foreach ($line in [IO.File]::ReadAllLines($envv['SESSIONSIM_WINDOWS_PASSWORDS'])) {
  $k, $v = $line -split '=', 2
  if ($k -and $null -ne $v) { $pw[$k] = $v }
}

$held = @(
  @{ User = 'alice'; Server = '127.0.0.2'; Files = 1 },
  @{ User = 'bob'; Server = '127.0.0.3'; Files = 1 },
  @{ User = 'plain'; Server = '127.0.0.4'; Files = 0 }
)

# End what an earlier run held.
foreach ($f in Get-ChildItem -LiteralPath $Dir -Filter 'hold-*.pid' -ErrorAction SilentlyContinue) {
  $id = [int]([IO.File]::ReadAllText($f.FullName).Trim())
  Stop-Process -Id $id -Force -ErrorAction SilentlyContinue
  Remove-Item -LiteralPath $f.FullName
}
foreach ($h in $held) {
  # Through cmd: a missing connection's message on stderr must not stop the script (Windows
  # PowerShell turns redirected native stderr into errors).
  & cmd.exe /c "net use \\$($h.Server)\$share /delete /y >nul 2>&1"
}
if ($Stop) { Say 'no sessions held'; exit 0 }

foreach ($h in $held) {
  $unc = "\\$($h.Server)\$share"
  & net.exe use $unc $pw[$h.User] "/user:$($h.User)" /persistent:no | Out-Null
  if ($LASTEXITCODE -ne 0) { Die "net use $unc as $($h.User) failed ($LASTEXITCODE)" }
  for ($i = 1; $i -le $h.Files; $i++) {
    $file = "$unc\held-$($h.User)-$i.txt"
    $cmd = "`$f = [IO.File]::Open('$file', 'OpenOrCreate', 'ReadWrite', 'ReadWrite'); Start-Sleep -Seconds $Seconds; `$f.Close()"
    $enc = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($cmd))
    $p = Start-Process -FilePath powershell.exe -WindowStyle Hidden -PassThru `
      -ArgumentList '-NoProfile', '-NonInteractive', '-EncodedCommand', $enc
    [IO.File]::WriteAllText((Join-Path $Dir "hold-$($h.User)-$i.pid"), "$($p.Id)")
  }
}

# Wait until the server lists a session of each user, with its files open.
$deadline = (Get-Date).AddSeconds(30)
do {
  $sessions = @(Get-SmbSession)
  $missing = @(foreach ($h in $held) {
      $mine = @($sessions | Where-Object { $_.ClientUserName -like "*\$($h.User)" -and $_.NumOpens -ge $h.Files })
      if ($mine.Count -eq 0) { $h.User }
    })
  if ($missing.Count -eq 0) { break }
  Start-Sleep -Milliseconds 200
} while ((Get-Date) -lt $deadline)
if ($missing.Count -ne 0) { Die "no session with its files open after 30 s for: $($missing -join ', ')" }
Say "holding sessions of $(($held | ForEach-Object { $_.User }) -join ', ') for ${Seconds}s"
$sessions | Select-Object ClientComputerName, ClientUserName, NumOpens, Dialect | Format-Table -AutoSize | Out-String | Write-Output
