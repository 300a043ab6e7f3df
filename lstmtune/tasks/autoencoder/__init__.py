"""The autoencoder task: sequences reconstructed through a bottleneck; reconstruction error as an anomaly score."""
