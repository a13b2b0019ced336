x = 1.0
# café
L = x * 2
