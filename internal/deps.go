package internal

import (
	_ "golang.org/x/image/draw"
	_ "modernc.org/sqlite"
)
