x = -4.0
L = sqrt(x) + x
