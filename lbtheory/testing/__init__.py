"""Public hypothesis strategies for testing policies, engines and bounds."""
