"""A synthetic lottery operator with known ground truth; see docs/simulator.md for the generative model."""
