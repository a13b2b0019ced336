x = 1.0
for i in range(100000):
    x = x * 1.0001
