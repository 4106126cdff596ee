// Placeholder entry point until the host's composition root lands.
return 0;
