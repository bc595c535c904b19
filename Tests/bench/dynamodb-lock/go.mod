module dynamodblock

go 1.19
