-- Undoes 004_create_hardware_background.sql.
DROP TABLE hardware_background;
