"""What every start of the command line loads: scipy only where it is used.

Importing scipy's signal, linalg, spatial, optimize and ndimage took ~1 s of the 1.5 s that
`anonymizer-gui export --help` took (now ~0.45 s). Not timed: what is loaded.
"""

import subprocess
import sys


def test_building_the_command_line_does_not_load_scipy_or_qt():
    code = ("import sys\nfrom anonymizer_gui.cli import build_parser\nbuild_parser()\n"
            "print(sorted({k.split('.')[0] for k in sys.modules} & {'scipy', 'PySide6'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
