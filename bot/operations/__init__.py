"""Operations: metrics, health checks and the loopback HTTP endpoint that serves them."""
