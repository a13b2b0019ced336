# A chain of 30 diamonds: 2**30 paths from x_30 to x, summed regrouped in one pass.
x = 0.5
for level in range(30):
    x = sin(x) + cos(x)
