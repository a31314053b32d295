#!/bin/sh
# Install this OrderCycle folder on a Linux workstation (run from inside the unpacked bundle).
#
#   sudo ./install.sh [--prefix /opt/ordercycle] [--db PATH-OR-URL] [--user]
#
#   --prefix DIR   where the program goes (default /opt/ordercycle; with --user ~/.local/opt/ordercycle)
#   --db LOCATION  preset the shared database for every user of this workstation (written to
#                  DIR/workstation-preset.json; each user's first start copies it into their own
#                  settings, ~/.config/OrderCycle/workstation.json)
#   --user         install for the current user only, without root
#
# It copies the folder, links DIR/OrderCycle as `ordercycle` on the PATH, and installs the desktop
# entry and the icon (Start menu / application grid). ./uninstall.sh removes them again.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=""
DB=""
USER_INSTALL=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) PREFIX=${2:?--prefix needs a folder}; shift 2 ;;
        --prefix=*) PREFIX=${1#--prefix=}; shift ;;
        --db) DB=${2:?--db needs a path or URL}; shift 2 ;;
        --db=*) DB=${1#--db=}; shift ;;
        --user) USER_INSTALL=1; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [ "$USER_INSTALL" -eq 1 ]; then
    PREFIX=${PREFIX:-$HOME/.local/opt/ordercycle}
    BIN=$HOME/.local/bin
    DATA=${XDG_DATA_HOME:-$HOME/.local/share}
else
    PREFIX=${PREFIX:-/opt/ordercycle}
    BIN=/usr/local/bin
    DATA=/usr/local/share
    if [ "$(id -u)" -ne 0 ]; then
        echo "install.sh: installing for every user needs root: sudo $0 $* (or --user)" >&2
        exit 1
    fi
fi
[ -x "$HERE/OrderCycle" ] || { echo "install.sh: run me from the OrderCycle folder ($HERE/OrderCycle missing)" >&2; exit 1; }

if [ "$HERE" != "$PREFIX" ]; then
    # an upgrade replaces the program but keeps an existing preset
    KEEP=""
    if [ -f "$PREFIX/workstation-preset.json" ]; then KEEP=$(mktemp); cp "$PREFIX/workstation-preset.json" "$KEEP"; fi
    rm -rf "$PREFIX.new"
    mkdir -p "$(dirname "$PREFIX")"
    cp -a "$HERE" "$PREFIX.new"
    rm -rf "$PREFIX"
    mv "$PREFIX.new" "$PREFIX"
    if [ -n "$KEEP" ]; then cp "$KEEP" "$PREFIX/workstation-preset.json"; rm -f "$KEEP"; fi
fi

if [ -n "$DB" ]; then
    # JSON string: escape backslashes and double quotes
    ESCAPED=$(printf '%s' "$DB" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
    printf '{"database": "%s"}\n' "$ESCAPED" > "$PREFIX/workstation-preset.json"
    chmod 644 "$PREFIX/workstation-preset.json"
fi

mkdir -p "$BIN" "$DATA/applications" "$DATA/icons/hicolor/256x256/apps" "$DATA/icons/hicolor/48x48/apps"
ln -sf "$PREFIX/OrderCycle" "$BIN/ordercycle"
sed -e "s|/opt/ordercycle/OrderCycle|$PREFIX/OrderCycle|g" "$PREFIX/ordercycle.desktop" > "$DATA/applications/ordercycle.desktop"
chmod 644 "$DATA/applications/ordercycle.desktop"
cp "$PREFIX/ordercycle.png" "$DATA/icons/hicolor/256x256/apps/ordercycle.png"
if [ -f "$PREFIX/_internal/resources/icons/ordercycle-48.png" ]; then
    cp "$PREFIX/_internal/resources/icons/ordercycle-48.png" "$DATA/icons/hicolor/48x48/apps/ordercycle.png"
fi
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$DATA/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true

echo "OrderCycle $(cat "$PREFIX/VERSION" 2>/dev/null || echo '') installed in $PREFIX"
echo "  command:       $BIN/ordercycle"
echo "  desktop entry: $DATA/applications/ordercycle.desktop"
[ -n "$DB" ] && echo "  database preset for new users: $DB"
exit 0
