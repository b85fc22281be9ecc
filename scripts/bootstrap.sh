# Sourced by scripts/run and scripts/test: make .venv with the project installed, once.
# Needs only Python 3.11+ on the machine (set PYTHON=/path/to/python to choose one).

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "error: BugRelay needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
    return 1
}

bootstrap() {
    local extras="$1"
    if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        local python
        python=$(find_python)
        echo "==> creating .venv with $python" >&2
        rm -rf .venv
        if ! "$python" -m venv .venv; then
            echo "error: '$python -m venv' failed; on Debian/Ubuntu install python3-venv" >&2
            return 1
        fi
    fi
    # Reinstall only when the project's requirements changed.
    local want stamp=.venv/.bugrelay-installed
    want="$(cat pyproject.toml | sha256sum | cut -d' ' -f1) [$extras]"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "==> installing bugrelay[$extras] into .venv" >&2
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
        echo "$want" > "$stamp"
    fi
}

# What the browser and desktop tests need from the system: Debian's Chromium (Playwright drives
# it; it cannot download its own browser here), Xvfb and xdotool for the Tk dialog. Installed
# with apt-get when missing (as root, or through sudo); otherwise those tests say why they skip.
system_test_packages() {
    local missing=()
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
    command -v xdotool >/dev/null 2>&1 || missing+=(xdotool)
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || {
            echo "warning: cannot install ${missing[*]} (not root, no sudo)" >&2
            return 0
        }
        sudo="sudo -n"
    fi
    echo "==> installing ${missing[*]} with apt-get" >&2
    $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >&2
}

# The widget's build tools (esbuild) and test tools (axe-core), from widget/package-lock.json.
widget_deps() {
    local want stamp=widget/node_modules/.bugrelay-installed
    want=$(sha256sum widget/package-lock.json | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "==> npm ci in widget/" >&2
        (cd widget && npm ci --no-audit --no-fund --loglevel=error >&2)
        echo "$want" > "$stamp"
    fi
}
