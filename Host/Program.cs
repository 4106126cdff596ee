<<<<<<< HEAD
// Placeholder entry point until the host's composition root lands.
return 0;
=======
using RobustNode.Host.Composition;

return CompositionRoot.Run(args, HostContext.Process);
>>>>>>> host
