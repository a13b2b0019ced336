x = 1.0
L = x * 2
for i in range(5000):
    print(i, "a fairly long line of text written again and again", L)
