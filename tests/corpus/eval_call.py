x = 1.0
L = eval('x * 2')
