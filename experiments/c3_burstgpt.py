"""C3 (paper v1): BF-IO (H = 20) vs FCFS on BurstGPT lengths, G = 32, B = 72, R = 128, N = 100,000.

Paper: +14% throughput, −13% TPOT, −3.3% energy (396 kJ → 383 kJ). Reference run of the authors'
simulator: +16.5%, −14.2%, −3.5% (FCFS 160.4k tok/s, 14.1 ms TPOT, idle 21.7%); BF-IO H = 0: +15.1%,
−13.1%, −3.2%.

    python experiments/c3_burstgpt.py [--full] [--seeds K]
"""

from _claims import macros, main  # noqa: F401  (macros: read by tests/meta/test_macros.py)

if __name__ == "__main__":
    main("c3", __doc__)
