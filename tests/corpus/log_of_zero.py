x = 1.0
L = log(x - 1) * x
