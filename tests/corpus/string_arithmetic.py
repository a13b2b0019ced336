x = 1.0
name = "x"
L = x * name
