x = 1.0
f = lambda v: v * 2
L = x * 2
