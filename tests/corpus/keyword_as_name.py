x = 1.0
lambda = 2.0
