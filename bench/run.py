"""Run every benchmark in bench/ and print one `name: value` line per figure.

A benchmark is a module `bench/bench_*.py` with a `run()` function returning a dict of
figures. Later features add theirs; with none, this prints nothing and succeeds.
`bench/run.py bench_pages` runs only the benchmarks named.
"""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    sys.path.insert(0, str(ROOT.parent))
    for path in sorted(ROOT.glob("bench_*.py")):
        if names and path.stem not in names:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, value in module.run().items():
            print(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
