x = 1.0
args = [x, x]
L = max(*args)
