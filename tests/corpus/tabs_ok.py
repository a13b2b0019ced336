x = 1.0
for i in range(2):
	x = x * 2
	x = x + 1
