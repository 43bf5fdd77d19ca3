"""Reading: PDF bytes -> pages -> grids -> cells with a confidence. Knows nothing of the forms."""
