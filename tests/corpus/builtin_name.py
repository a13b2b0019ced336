x = 1.0
f = open
L = x * 2
