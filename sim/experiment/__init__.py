"""The experiment layer: design points x replications -> tasks -> a backend -> tables.

A task is one (design point, replication[, block]).  :func:`~sim.experiment.replication.
run_replication` is a top-level pure function of its task: any task re-run alone gives the
same rows, whatever backend or worker ran it, because every random draw comes from streams
addressed by the replication number (common random numbers across design points).

Modules, one concept each:

* :mod:`~sim.experiment.tasks`: a task, its result, and its JSON record (task files)
* :mod:`~sim.experiment.rows`: a replication's KPIs as table rows (costs, FTF identity)
* :mod:`~sim.experiment.replication`: running one task on a worker
* :mod:`~sim.experiment.blocks`: a large fleet's replication as blocks of teams, merged
* :mod:`~sim.experiment.plan`: the tasks of a design and their expected work
* :mod:`~sim.experiment.execution`: running tasks on a backend, with a progress bar
* :mod:`~sim.experiment.backends`: serial, process pool, Dask (knows nothing of the simulator)
* :mod:`~sim.experiment.shards`: ``--shard K/N`` and the merge of shards
* :mod:`~sim.experiment.tables`: replications, summary, calls, decisions and series tables
* :mod:`~sim.experiment.warmup`: the automatic warm-up (MSER-5 on a pilot)
* :mod:`~sim.experiment.precision`: the sequential stopping rule (``--precision``)
* :mod:`~sim.experiment.stability`: design points whose queue grows without bound
* :mod:`~sim.experiment.experiment`: a whole experiment, in memory or into a run folder
* :mod:`~sim.experiment.manifest`: what the run folder's ``manifest.json`` says
"""
