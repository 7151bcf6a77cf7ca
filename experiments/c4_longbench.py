"""C4 (paper v2 abstract): "28% energy reduction". Most likely setting: LongBench-v2 lengths, G = 256,
B = 72, H = 140, N = 80,000.

Reference run of the authors' simulator: energy −28.0% (summed over each policy's own steady-state window),
throughput +90%, TPOT −44%, FCFS idle 48.8% → BF-IO 7.9%; BF-IO H = 0: −19.5%; JSQ: −4.5%. Over the whole
run, energy per generated token falls 20.8% and makespan 35.7%.

    python experiments/c4_longbench.py [--full] [--seeds K]
"""

from _claims import macros, main  # noqa: F401  (macros: read by tests/meta/test_macros.py)

if __name__ == "__main__":
    main("c4", __doc__)
