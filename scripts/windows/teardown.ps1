<#
.SYNOPSIS
  teardown.ps1 -Dir DIR — undo setup.ps1 -Dir DIR.

.DESCRIPTION
  The counterpart of scripts/samba/stop.sh: ends the sessions hold-sessions.ps1 holds, removes
  the share "sessionsim" and the local accounts ssadmin, alice, bob and plain, and puts back
  the two registry values setup.ps1 changed, as DIR\registry-before.txt recorded them. DIR
  itself is left in place. Idempotent: what is already gone is not an error. Needs an elevated
  PowerShell.
#>
param(
  [Parameter(Mandatory = $true)][string]$Dir
)

Set-StrictMode -Version 3
$ErrorActionPreference = 'Stop'
function Say([string]$msg) { [Console]::Error.WriteLine("teardown.ps1: $msg") }

if (-not (Test-Path -LiteralPath $Dir)) { Say "$Dir does not exist; nothing to undo"; exit 0 }
$Dir = (Resolve-Path -LiteralPath $Dir).ProviderPath

if (Test-Path -LiteralPath (Join-Path $Dir 'env')) {
  & (Join-Path $PSScriptRoot 'hold-sessions.ps1') -Dir $Dir -Stop
}
if (Get-SmbShare -Name 'sessionsim' -ErrorAction SilentlyContinue) {
  Remove-SmbShare -Name 'sessionsim' -Force
  Say 'removed the share sessionsim'
}
$Computer = [ADSI]"WinNT://$env:COMPUTERNAME,computer"
foreach ($u in @('ssadmin', 'alice', 'bob', 'plain')) {
  if ([ADSI]::Exists("WinNT://$env:COMPUTERNAME/$u,user")) {
    $Computer.Delete('user', $u)
    Say "removed local account $u"
  }
}
$before = Join-Path $Dir 'registry-before.txt'
if (Test-Path -LiteralPath $before) {
  foreach ($line in [IO.File]::ReadAllLines($before)) {
    if (-not $line) { continue }
    $path, $name, $value = $line -split '\|', 3
    if ($value -eq 'absent') {
      Remove-ItemProperty -LiteralPath $path -Name $name -ErrorAction SilentlyContinue
    } else {
      Set-ItemProperty -LiteralPath $path -Name $name -Value ([int]$value) -Type DWord
    }
    Say "restored $path\$name ($value)"
  }
  Remove-Item -LiteralPath $before
}
