global x
x = 1.0
L = x * 2
