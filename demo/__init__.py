"""Demo tooling for a local installation: the demo data generator and the seed_demo and setup_demo
commands (bin/start). No models; nothing in the product imports it."""
