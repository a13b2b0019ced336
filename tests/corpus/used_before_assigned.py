x = 1.0
L = x * z
z = 2.0
