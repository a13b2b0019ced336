# A branch: the comparison uses the values, and the graph follows the branch taken.
x = 2.0
w = 0.5
h = w * x
if h > 0:
    out = h * h
else:
    out = -h
L = out + max(w, x)
