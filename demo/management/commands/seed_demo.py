import time

from django.core.management.base import BaseCommand, CommandError

from demo.services import SeedError, demo_province_load


class Command(BaseCommand):
    help = ("Load a deterministic synthetic Bình Phước into every layer (same seed, same data). "
            "Real district names, GSO codes and inventory counts; synthetic geometry.")

    def add_arguments(self, parser):
        parser.add_argument("--parcels", type=int, default=50_000, help="number of parcels (default 50,000)")
        parser.add_argument("--seed", type=int, default=2021, help="random seed (default 2021)")
        parser.add_argument("--replace", action="store_true", help="empty every layer first")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the layers hold data")

    def handle(self, *args, parcels, seed, replace, if_empty, verbosity, **options):
        started = time.perf_counter()
        try:
            report = demo_province_load(parcels=parcels, seed=seed, replace=replace, if_empty=if_empty,
                                        progress=verbosity > 0)
        except SeedError as error:
            raise CommandError(str(error))
        if report.skipped:
            self.stdout.write("The layers already hold data; demo province not loaded.")
            return
        seconds = time.perf_counter() - started
        for layer_id, count in report.counts.items():
            self.stdout.write(f"  {layer_id:<14} {count:>10,}")
        self.stdout.write(self.style.SUCCESS(f"Demo province loaded in {seconds:.1f} s (seed {seed})."))
