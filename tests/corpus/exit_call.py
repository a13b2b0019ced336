x = 1.0
exit()
L = x * 2
