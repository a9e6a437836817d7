"""catalogues"""
