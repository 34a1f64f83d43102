-- Undoes 003_create_software_background.sql.
DROP TABLE software_background;
