"""A `relais generate` database for the scripts that measure at a size (bench/retention.py,
bench/person_page_scale.py): the one DATABASE_URL names, made or completed first."""

import subprocess
import sys


def generated(persons: int):
    """The database's generated dataset, made (or completed) first; None when the
    database holds other persons."""
    from relais.demo.models import GeneratedDataset
    from relais.network.models import Person

    dataset = GeneratedDataset.objects.first()
    if dataset is None and Person.objects.exists():
        print("this database holds persons that were not generated: name another",
              file=sys.stderr)
        return None
    if dataset is not None and dataset.persons != persons:
        print(f"this database holds {dataset.persons:,} generated persons, not "
              f"{persons:,}: name another, or drop it", file=sys.stderr)
        return None
    # Makes it, resumes an interrupted run, or finds every chunk done.
    print(f"relais generate --persons {persons} …", flush=True)
    subprocess.run([sys.executable, "-m", "relais.config.cli", "generate",  # noqa: S603
                    "--persons", str(persons)], check=True)
    dataset = GeneratedDataset.objects.get()
    return dataset
