x = 1e999
L = x * 2
