; Inno Setup 6 script: OrderCycle-Setup-<version>.exe from the PyInstaller folder dist\OrderCycle.
;
;   make installer                                  (on Windows: builds dist\OrderCycle)
;   iscc installer\ordercycle.iss                   (writes dist\OrderCycle-Setup-0.1.0.exe)
;
; Installs per machine (Program Files, needs administrator rights), with Start-menu and desktop
; shortcuts for all users and an uninstaller (Settings > Apps). The administrator can preset the
; firm's shared database for every user of the workstation:
;   * interactively: the "Shared database" page of the wizard;
;   * silently:  OrderCycle-Setup-0.1.0.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /DB="\\server\orders\ordercycle.db"
;                (or /DB="postgresql+psycopg://ordercycle:secret@dbserver:5432/ordercycle").
; The preset is written to {app}\workstation-preset.json. On each user's first start OrderCycle
; copies it into that user's own workstation settings (%LOCALAPPDATA%\OrderCycle\workstation.json,
; the file File > Open database... writes), see installer/launcher.py. An upgrade without /DB keeps
; the preset already there; the uninstaller removes it (users' settings and databases stay).

#define AppName "OrderCycle"
; the version: keep equal to app/__init__.py (a test checks it); iscc /DAppVersion=x.y.z overrides
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppPublisher "OrderCycle"
#define AppExe "OrderCycle.exe"
#define SourceDir "..\dist\OrderCycle"

[Setup]
AppId={{6F1C2B7E-4D0A-4C3B-9E51-0C7A9D2E8B41}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\dist
OutputBaseFilename={#AppName}-Setup-{#AppVersion}
SetupIconFile=..\resources\icons\ordercycle.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
; the whole one-folder application; an upgrade replaces the program files
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; files of the previous version that the new one no longer has must not linger in _internal
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
Name: "{autoprograms}\{#AppName} licences"; Filename: "{app}\THIRD-PARTY-LICENSES.txt"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent unchecked

[UninstallDelete]
Type: files; Name: "{app}\workstation-preset.json"

[Code]
var
  DbPage: TInputQueryWizardPage;

function JsonEscape(const S: String): String;
begin
  Result := S;
  StringChangeEx(Result, '\', '\\', True);
  StringChangeEx(Result, '"', '\"', True);
end;

function PresetFile(): String;
begin
  Result := ExpandConstant('{app}\workstation-preset.json');
end;

procedure InitializeWizard();
begin
  DbPage := CreateInputQueryPage(wpSelectDir,
    'Shared database',
    'Where is the firm''s OrderCycle database?',
    'Every user of this workstation starts on this database the first time they open OrderCycle. ' +
    'A file on the office share (\\server\orders\ordercycle.db) or a PostgreSQL URL. ' +
    'Leave it empty to keep the current setting (each user then chooses with File > Open database...).');
  DbPage.Add('Database location:', False);
  DbPage.Values[0] := ExpandConstant('{param:DB|}');
end;

function NextButtonClick(CurPageID: Integer): Boolean;
var
  Location, Folder: String;
begin
  Result := True;
  if (CurPageID = DbPage.ID) and (Trim(DbPage.Values[0]) <> '') then begin
    Location := Trim(DbPage.Values[0]);
    if (Pos('://', Location) = 0) then begin
      Folder := ExtractFileDir(Location);
      if not DirExists(Folder) then
        Result := MsgBox('The folder ' + Folder + ' cannot be reached from this computer now ' +
          '(is the share connected?). Use this location anyway?', mbConfirmation, MB_YESNO) = IDYES;
    end;
  end;
end;

procedure CurStepChanged(CurStep: TSetupStep);
var
  Location: String;
begin
  if CurStep = ssPostInstall then begin
    Location := Trim(DbPage.Values[0]);
    if Location = '' then
      Location := Trim(ExpandConstant('{param:DB|}'));
    if Location <> '' then
      if not SaveStringToFile(PresetFile(), '{"database": "' + JsonEscape(Location) + '"}' + #13#10, False) then
        MsgBox('The database preset could not be written to ' + PresetFile() + '.', mbError, MB_OK);
  end;
end;
