module kag

go 1.19
