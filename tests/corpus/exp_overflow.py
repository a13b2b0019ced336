x = 1000.0
L = exp(x) * 2
