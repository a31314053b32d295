#!/bin/sh
# Remove OrderCycle installed by install.sh (same --prefix / --user as when installing).
# Users' settings (~/.config/OrderCycle) and databases are left alone.
set -eu
PREFIX=""
USER_INSTALL=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) PREFIX=${2:?--prefix needs a folder}; shift 2 ;;
        --prefix=*) PREFIX=${1#--prefix=}; shift ;;
        --user) USER_INSTALL=1; shift ;;
        *) echo "uninstall.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
if [ "$USER_INSTALL" -eq 1 ]; then
    PREFIX=${PREFIX:-$HOME/.local/opt/ordercycle}; BIN=$HOME/.local/bin; DATA=${XDG_DATA_HOME:-$HOME/.local/share}
else
    PREFIX=${PREFIX:-/opt/ordercycle}; BIN=/usr/local/bin; DATA=/usr/local/share
fi
[ -x "$PREFIX/OrderCycle" ] || { echo "uninstall.sh: no OrderCycle in $PREFIX" >&2; exit 1; }
rm -f "$BIN/ordercycle" "$DATA/applications/ordercycle.desktop" \
      "$DATA/icons/hicolor/256x256/apps/ordercycle.png" "$DATA/icons/hicolor/48x48/apps/ordercycle.png"
rm -rf "$PREFIX"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$DATA/applications" || true
echo "OrderCycle removed from $PREFIX (users' settings and databases were not touched)"
