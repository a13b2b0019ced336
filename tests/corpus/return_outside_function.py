x = 1.0
L = x * 2
return L
