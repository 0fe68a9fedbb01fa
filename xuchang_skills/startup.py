"""What a long-running process of ours (a gunicorn worker, a Celery worker) does once Django is
loaded: move the start-up objects out of the garbage collector's sight.

Django, the URL conf, the apps' modules and their registries are ~130,000 objects that live as
long as the process. Left in the collector's generations, every full collection walks all of them:
a 5,000-row roster import triggers two, about 70 ms each (benchmarks/roster_import.py).
``gc.freeze()`` moves them to the permanent generation; objects made afterwards are collected as
before, so nothing is leaked.
"""

import gc


def freeze_startup_objects() -> None:
    gc.collect()
    gc.freeze()
