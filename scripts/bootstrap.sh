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
