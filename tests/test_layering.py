"""The layering is a checked contract, not a hope: `layers/` (registry, validation, editing, errors)
imports no package above it (.importlinter). Broken, it names the import that breaks it."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_layers_is_the_ground_floor():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--config", str(ROOT / ".importlinter"), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 and "0 broken" in result.stdout, result.stdout[-4000:] + result.stderr[-2000:]
