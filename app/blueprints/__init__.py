"""One package per area of the product."""
