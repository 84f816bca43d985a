/* jcb_hello: a tiny C extension proving the wheel was compiled, for which CUDA architectures. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifndef CUDA_ARCHS
#define CUDA_ARCHS ""
#endif

static PyObject *greet(PyObject *self, PyObject *args) {
    const char *name = "Jetson";
    if (!PyArg_ParseTuple(args, "|s", &name))
        return NULL;
    return PyUnicode_FromFormat("hello, %s, from a compiled jcb wheel", name);
}

static PyObject *cuda_archs(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(CUDA_ARCHS);
}

static PyMethodDef methods[] = {
    {"greet", greet, METH_VARARGS, "A greeting from C."},
    {"cuda_archs", cuda_archs, METH_NOARGS, "The CUDA architectures the wheel was configured for."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "jcb_hello", NULL, -1, methods};

PyMODINIT_FUNC PyInit_jcb_hello(void) { return PyModule_Create(&module); }
