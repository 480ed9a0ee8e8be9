module kag.example/kag

go 1.19
