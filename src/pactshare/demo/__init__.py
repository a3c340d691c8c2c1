"""The demo: three parties' nodes replaying the 2019 GSOMIA crisis over the federation."""
